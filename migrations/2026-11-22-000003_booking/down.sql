DROP TABLE booking_events;
DROP TABLE seatings;
DROP TABLE bookings;
DROP TABLE booking_settings;
DROP TABLE schedule_exceptions;
DROP TABLE worker_schedules;
