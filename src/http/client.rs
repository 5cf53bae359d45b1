//! The client's address, trusting `X-Forwarded-For` only from configured proxies.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The address the request came from: the peer, or, when the peer is a trusted proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_addr(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    match peer {
        Some(ip) if trusted_proxies.contains(&ip) => req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|chain| {
                chain
                    .rsplit(',')
                    .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
                    .find(|hop| !trusted_proxies.contains(hop))
            })
            .unwrap_or(ip)
            .to_string(),
        Some(ip) => ip.to_string(),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 5.6.7.8"))
            .to_http_request();
        assert_eq!(client_addr(&req, &[proxy]), "5.6.7.8");
        assert_eq!(client_addr(&req, &[]), "10.0.0.1");
    }
}
