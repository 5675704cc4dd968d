"""hotels: the Skald demo's hotel service, as a Python participant.

`reserve` writes a reservation row, `cancel` (its compensation) marks it cancelled. Run it with
DATABASE_URL, KAFKA_BROKERS and, if the orchestrator has one, SKALD_TOPIC_PREFIX:

    python hotels.py
"""

from __future__ import annotations

import os
from typing import Any

from skald_participant import BusinessRefusal, Context, Participant

HOTELS_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS hotel_reservations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  saga_id uuid NOT NULL,
  customer text NOT NULL,
  city text NOT NULL,
  nights integer NOT NULL,
  status text NOT NULL
);
"""

#: a city whose booking system times out twice before it answers (transient errors, retried)
FLAKY_CITY = "Flakyville"
MAX_NIGHTS = 14

participant = Participant(
    name="hotels",
    brokers=os.environ.get("KAFKA_BROKERS", "localhost:9092"),
    database_url=os.environ.get("DATABASE_URL", "postgresql://localhost/skald"),
    topic_prefix=os.environ.get("SKALD_TOPIC_PREFIX", "skald"),
    schema_sql=HOTELS_SCHEMA_SQL,
)


@participant.on("reserve")
def reserve(request: Any, ctx: Context) -> dict:
    if not isinstance(request, dict) or not isinstance(request.get("city"), str):
        raise BusinessRefusal("INVALID_REQUEST", 'reserve needs {"customer", "city", "nights"}')
    nights = request.get("nights")
    if not isinstance(nights, int) or not 1 <= nights <= MAX_NIGHTS:
        raise BusinessRefusal("NO_ROOMS", f"no room for {nights!r} nights (1 to {MAX_NIGHTS})")
    if request["city"] == FLAKY_CITY and ctx.attempt < 3:
        raise TimeoutError(f"the {FLAKY_CITY} booking system timed out")
    (reservation_id,) = ctx.tx.execute(
        "INSERT INTO hotel_reservations (saga_id, customer, city, nights, status) "
        "VALUES (%s, %s, %s, %s, 'reserved') RETURNING id",
        (ctx.saga_id, str(request.get("customer", "")), request["city"], nights),
    ).fetchone()
    return {"id": str(reservation_id)}


@participant.on_compensate("cancel")
def cancel(_request: Any, ctx: Context) -> dict:
    # undo from what the forward command recorded: the saga may never have seen this id
    reservation_id = ctx.forward.reply["id"]
    ctx.tx.execute("UPDATE hotel_reservations SET status = 'cancelled' WHERE id = %s", (reservation_id,))
    return {"cancelled": reservation_id}


if __name__ == "__main__":
    participant.run()
