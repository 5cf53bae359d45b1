// Compiled with the types openapi-typescript generates into api.d.ts (scripts/clients.sh):
// a few facts an app relies on, so that a document that compiles but says the wrong thing fails.
import type { components, operations, paths } from "./api";

type Schemas = components["schemas"];
type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer B } } };
}
  ? B
  : never;

type Real<T> = [T] extends [never] ? false : true;

// The two cancel actions answer what they cancel.
const real: [Real<Ok<"/api/v1/orders/{id}/cancel", "post">>, Real<Ok<"/api/v1/bookings/{id}/cancel", "post">>] =
  [true, true];
const order: Schemas["OrderResponse"] = {} as Ok<"/api/v1/orders/{id}/cancel", "post">;
const booking: Schemas["BookingResponse"] = {} as Ok<"/api/v1/bookings/{id}/cancel", "post">;
// @ts-expect-error: cancelling an order does not answer a booking
const wrong: Schemas["BookingResponse"] = {} as Ok<"/api/v1/orders/{id}/cancel", "post">;

// An action needs no body.
type CancelBooking = operations["cancel_booking"];
const noBody: CancelBooking["requestBody"] = undefined;

// Opening hours and a worker's week are days of [HH:MM, HH:MM] intervals.
const hours: Schemas["OpeningHours"] = { mon: [["09:00", "21:00"]], sat: [] };
// @ts-expect-error: no such day
const funday: Schemas["OpeningHours"] = { funday: [] };
const week: Schemas["Schedule"]["weekly"] = hours;

export { real, order, booking, wrong, noBody, funday, week };
