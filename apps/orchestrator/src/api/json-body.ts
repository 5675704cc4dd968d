// JSON request bodies: strings PostgreSQL's jsonb refuses are a client error, found while parsing.
import { isStorableInJsonb, printable } from '@skald/protocol';

const UNSTORABLE = 'request body has a string PostgreSQL cannot store (U+0000 or a lone surrogate)';

/**
 * JSON.parse reviver for the body parser: a key or string value with U+0000 or a lone surrogate
 * would fail at the INSERT as a 500; refused here, body-parser answers it as a parse failure.
 */
export function refuseUnstorableStrings(key: string, value: unknown): unknown {
  if (!isStorableInJsonb(key) || (typeof value === 'string' && !isStorableInJsonb(value)))
    throw new Error(`${UNSTORABLE} at key ${JSON.stringify(printable(key))}`);
  return value;
}

/** The message for a body the parser refused: JSON that is not valid, or that jsonb cannot store. */
export function parseFailureMessage(parserMessage: string): string {
  return parserMessage.startsWith(UNSTORABLE)
    ? parserMessage
    : `request body is not valid JSON: ${parserMessage}`;
}
