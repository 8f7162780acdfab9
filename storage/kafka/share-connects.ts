import type { InternalBroker, InternalCluster } from './kafka-cluster.ts';

const SHARED = Symbol('tickflow.sharedConnect');

interface Connection {
  connect: () => Promise<boolean>;
  [SHARED]?: true;
}

/**
 * kafkajs 2.2.4's Connection.connect is not safe to call twice at once: each call opens a socket
 * and keeps only the last one, so concurrent first requests on one connection (follow() on many
 * partitions of one leader at the same time) leave sockets that disconnect() never closes and that
 * keep the process alive after close (seen: `run projector`, 17 follows, 17 sockets left open).
 * This makes the connections of every broker `cluster` hands out share a connect in flight. Only
 * this cluster's connections change (kafkajs's clients are untouched); kafkajs is pinned and no
 * longer released (see kafka-cluster.ts), so the internals used here do not move.
 */
export function shareConcurrentConnects(cluster: InternalCluster): InternalCluster {
  const findBroker = cluster.findBroker.bind(cluster);
  // An own property: the cluster's internal this.findBroker calls (ListOffsets) come here too.
  cluster.findBroker = async (options) => {
    const broker = await findBroker(options);
    for (const connection of (broker as InternalBroker & { connectionPool: { pool: Connection[] } }).connectionPool.pool) share(connection);
    return broker;
  };
  return cluster;
}

function share(connection: Connection): void {
  if (connection[SHARED]) return;
  const connect = connection.connect.bind(connection);
  let pending: Promise<boolean> | null = null;
  connection.connect = () => (pending ??= connect().finally(() => (pending = null)));
  connection[SHARED] = true;
}
