// 2PC command ids are UUIDs whose version nibble is 8 (RFC 9562 "custom"); saga commands use v4.
// The reply consumer routes a reply by its correlation id's version alone, so the saga path pays
// no extra lookup. A routing hint only: each side still checks the id against its own table.

const VERSION_INDEX = 14;

/** Turns a random v4 UUID (e.g. from crypto.randomUUID) into a 2PC command id. */
export function toTwoPhaseCommandId(uuid: string): string {
  return `${uuid.slice(0, VERSION_INDEX)}8${uuid.slice(VERSION_INDEX + 1)}`;
}

/** True for ids made by toTwoPhaseCommandId: a reply to it belongs to the 2PC coordinator. */
export function isTwoPhaseCommandId(id: string): boolean {
  return id.length === 36 && id[VERSION_INDEX] === '8';
}
