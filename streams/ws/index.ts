export { SignalServer, type SignalServerOptions, type SignalServerStats } from './signal-server.ts';
export {
  CHANNELS,
  MAX_MESSAGE_BYTES,
  parseClientMessage,
  type Channel,
  type ClientMessage,
  type ParseResult,
} from './client-message.ts';
export { Subscriptions } from './subscriptions.ts';
