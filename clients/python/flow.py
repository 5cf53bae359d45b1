"""A consumer's first booking through the generated Python client (scripts/clients.sh).

register -> discover (merchants near Guanyinqiao, Chongqing) -> services -> slots -> book ->
read the booking back, against a server seeded with `seed --demo`. Every step must answer
what the document says (status and parsed model); the first that does not fails the check.

    python flow.py http://127.0.0.1:18091
"""

import sys
import uuid

from lifemarket_client import AuthenticatedClient, Client
from lifemarket_client.api.accounts import register
from lifemarket_client.api.booking import create_booking, get_booking, list_slots
from lifemarket_client.api.catalog import list_services
from lifemarket_client.api.discovery import search_merchants
from lifemarket_client.models import (
    BookingDetail,
    BookingResponse,
    BookingStatus,
    CreateBookingRequest,
    PageMerchantCard,
    PageServiceResponse,
    RegisterRequest,
    SlotsResponse,
    TokenResponse,
    VisitAddress,
)

# Guanyinqiao, where the demo housekeeping merchant 洁家家政 is (src/seed.rs).
LAT, LNG = 29.5761, 106.5325


def step(name, response, status, model):
    """The parsed answer of one step, or exit with what went wrong."""
    if response.status_code != status or not isinstance(response.parsed, model):
        body = response.content.decode("utf-8", "replace")[:500]
        sys.exit(f"FAIL {name}: {response.status_code} {body}")
    print(f"ok   {name}: {response.status_code}")
    return response.parsed


def main(base_url):
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    email = f"client-check-{uuid.uuid4().hex[:12]}@example.cn"
    tokens = step(
        "register",
        register.sync_detailed(
            client=anonymous,
            body=RegisterRequest(
                email=email,
                password="correct horse battery",
                display_name="李伟",
                phone="13812345678",
                accept_terms=True,
            ),
        ),
        201,
        TokenResponse,
    )
    me = AuthenticatedClient(base_url=base_url, token=tokens.access_token)

    page = step(
        "search merchants",
        search_merchants.sync_detailed(client=anonymous, lat=LAT, lng=LNG, category="housekeeping"),
        200,
        PageMerchantCard,
    )
    if not page.items:
        sys.exit("FAIL search merchants: no housekeeping merchant near Guanyinqiao")
    merchant = page.items[0]
    print(f"     nearest: {merchant.display_name} ({merchant.distance_m} m)")

    services = step(
        "list services",
        list_services.sync_detailed(merchant.id, client=me),
        200,
        PageServiceResponse,
    )
    visits = [s for s in services.items if s.fulfilment.value == "home_visit" and s.active]
    if not visits:
        sys.exit(f"FAIL list services: {merchant.display_name} has no home visit")
    service = visits[0]

    slots = step("list slots", list_slots.sync_detailed(service.id, client=me), 200, SlotsResponse)
    if not slots.slots:
        sys.exit(f"FAIL list slots: {service.name} has no free slot")
    slot = slots.slots[0]
    print(f"     {service.name}: first slot {slot.start.isoformat()} ({slots.time_zone})")

    booking = step(
        "book",
        create_booking.sync_detailed(
            client=me,
            idempotency_key=str(uuid.uuid4()),
            body=CreateBookingRequest(
                service_id=service.id,
                starts_at=slot.start,
                address=VisitAddress(
                    text="重庆市江北区观音桥建新北路9号2栋801",
                    lat=LAT,
                    lng=LNG,
                    contact_name="李伟",
                    contact_phone="13812345678",
                ),
            ),
        ),
        201,
        BookingResponse,
    )
    detail = step("read the booking", get_booking.sync_detailed(booking.id, client=me), 200, BookingDetail)
    active = {BookingStatus.PENDING_CONFIRMATION, BookingStatus.CONFIRMED}
    if detail.status not in active or detail.starts_at != slot.start:
        sys.exit(f"FAIL read the booking: {detail.status} at {detail.starts_at}")
    print(f"ok   booked {detail.service_name} at {detail.starts_at.isoformat()}: {detail.status.value}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
