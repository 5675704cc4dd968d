import { Client } from 'pg';

export interface NotificationListener {
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` and calls `onNotify` for each notification, reconnecting after a lost
 * connection (`onNotify` is also called after each reconnect, since notifications may have been
 * missed). Callers must still poll: notifications are a latency optimisation, not a guarantee.
 */
export function listenForNotifications(
  url: string,
  channel: string,
  onNotify: (payload: string | undefined) => void,
  onError: (error: Error) => void = () => undefined,
): NotificationListener {
  let client: Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new Client({ connectionString: url, application_name: 'skald-listener' });
    next.on('notification', (message) => onNotify(message.payload));
    next.on('error', (error) => {
      onError(error);
      reconnect();
    });
    next.on('end', reconnect);
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      client = next;
      onNotify(undefined);
    } catch (error) {
      onError(error as Error);
      await next.end().catch(() => undefined);
      reconnect();
    }
  };
  function reconnect() {
    client = undefined;
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, 1_000);
  }
  void connect();

  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
