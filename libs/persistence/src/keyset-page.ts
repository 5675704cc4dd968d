// Keyset paging of the REST lists (sagas, 2PC transactions): newest first by (created_at, id),
// the cursor an opaque encoding of the last row's key. Fetch `limit + 1` rows after the cursor's
// key; pageOf cuts the page and says whether another follows.
import { isUuid } from '@skald/protocol';
import { InvalidCursorError } from './errors';

/** The key a list is ordered by (descending). */
export interface KeysetKey {
  /** A Date, or epoch ms. */
  createdAt: Date | number;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

function encodeCursor(key: KeysetKey): string {
  return Buffer.from(JSON.stringify([new Date(key.createdAt).toISOString(), key.id])).toString(
    'base64url',
  );
}

/** The key of the last row of the previous page; InvalidCursorError (a 400) if not one of ours. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [
      string,
      string,
    ];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !isUuid(id))
      throw new Error('bad shape');
    return { createdAt: date, id };
  } catch (error) {
    throw new InvalidCursorError(
      'cursor is not one this API returned (pass nextCursor unchanged)',
      { cause: error },
    );
  }
}

/** `rows` were fetched with LIMIT limit + 1: the page, and the cursor of the next if there is one. */
export function pageOf<T extends KeysetKey>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items,
    nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null,
  };
}
