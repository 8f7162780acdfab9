export { SignalServer, type SignalServerOptions, type SignalServerStats } from './signal-server.ts';
export { IsolatedSignalServer, type IsolatedServerOptions, type IsolatedServerStats } from './isolated-server.ts';
export {
  CHANNELS,
  MAX_MESSAGE_BYTES,
  parseClientMessage,
  type Channel,
  type ClientMessage,
  type ParseResult,
} from './client-message.ts';
export { Subscriptions } from './subscriptions.ts';
export { RecentIds } from './recent-ids.ts';
export { DEFAULT_RECENT_IDS, TopicGateway, type GatewayReport, type GatewayTopicStats, type TopicGatewayOptions } from './topic-gateway.ts';
