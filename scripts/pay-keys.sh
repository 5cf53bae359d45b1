#!/usr/bin/env bash
# scripts/pay-keys.sh — a fresh set of payment keys for the sandbox provider: `scripts/pay-keys.sh DIR`
#
# ring (the crypto crate) cannot generate RSA keys, so openssl does. Writes into DIR (created if
# missing; existing files are kept, so running it again changes nothing):
#   wechat-merchant.key.pem / .pub.pem   the merchant's API key (the app signs WeChat requests)
#   wechat-platform.key.pem / .pub.pem   "WeChat Pay"'s public-key-mode key (the sandbox signs)
#   alipay-app.key.pem / .pub.pem        the app's Alipay key (the app signs Alipay requests)
#   alipay-platform.key.pem / .pub.pem   "Alipay"'s key (the sandbox signs)
#   wrong.key.pem / .pub.pem             an unrelated key, for tests of refused signatures
#   apiv3.key                            32 random characters, the WeChat APIv3 key
#   app.env                              the app's WECHAT_* / ALIPAY_* lines for the sandbox
#   sandbox.env                          the sandbox's SANDBOX_* lines
# Private keys are PKCS#8 (`BEGIN PRIVATE KEY`), public keys SubjectPublicKeyInfo (`BEGIN PUBLIC
# KEY`), RSA 2048, exactly the forms the real providers hand out. Every private key file starts
# with a line saying it is for the sandbox only; the app refuses such keys in production.
#
# Environment (read): SANDBOX_ADDR  where the sandbox listens (default 127.0.0.1:8090)
set -euo pipefail

die() { echo "pay-keys.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: scripts/pay-keys.sh DIR"
command -v openssl >/dev/null 2>&1 || die "openssl not found (apt-get install openssl)"
readonly DIR=$1
readonly ADDR=${SANDBOX_ADDR:-127.0.0.1:8090}
mkdir -p "$DIR"
umask 077

for name in wechat-merchant wechat-platform alipay-app alipay-platform wrong; do
    key=$DIR/$name.key.pem
    if [[ ! -s $key ]]; then
        der=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:65537 2>/dev/null) ||
            die "openssl genpkey failed"
        { echo "TEST-ONLY sandbox key ($name): never use it with a real payment provider."; echo "$der"; } >"$key"
        rm -f "$DIR/$name.pub.pem"
    fi
    [[ -s $DIR/$name.pub.pem ]] || openssl pkey -in "$key" -pubout -out "$DIR/$name.pub.pem" 2>/dev/null ||
        die "openssl pkey -pubout failed for $key"
done
[[ -s $DIR/apiv3.key ]] || openssl rand -hex 16 | tr -d '\n' >"$DIR/apiv3.key"

abs=$(cd "$DIR" && pwd)
cat >"$DIR/app.env" <<ENV
WECHAT_API_BASE=http://$ADDR
WECHAT_MCHID=1900000109
WECHAT_APPID=wxd678efh567hg6787
WECHAT_MERCHANT_KEY_FILE=$abs/wechat-merchant.key.pem
WECHAT_MERCHANT_SERIAL=5157F09EFDC096DE15EBE81A47057A7232F1B8E1
WECHAT_PLATFORM_KEY_FILE=$abs/wechat-platform.pub.pem
WECHAT_PLATFORM_KEY_ID=PUB_KEY_ID_0119000001092026120300000001
WECHAT_APIV3_KEY=$(cat "$DIR/apiv3.key")
ALIPAY_GATEWAY=http://$ADDR/gateway.do
ALIPAY_APP_ID=2021000000000001
ALIPAY_SELLER_ID=2088000000000001
ALIPAY_APP_KEY_FILE=$abs/alipay-app.key.pem
ALIPAY_PUBLIC_KEY_FILE=$abs/alipay-platform.pub.pem
ENV
cat >"$DIR/sandbox.env" <<ENV
SANDBOX_ADDR=$ADDR
SANDBOX_KEYS=$abs
SANDBOX_TIME_FACTOR=60
ENV
echo "payment keys in $abs (app: $DIR/app.env, sandbox: $DIR/sandbox.env)"
