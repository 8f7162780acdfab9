import { exactJson } from '../../lib/exact-json.ts';

/**
 * JSON text for graph state, exact for every double (lib/exact-json.ts): NaN, ±Infinity and -0
 * are written as {"$num": "..."}. (No state object uses a "$num" key of its own.)
 */
const GRAPH_STATE = exactJson('$num', 'graph state');
export const encodeState = GRAPH_STATE.stringify;
export const decodeState = GRAPH_STATE.parse;
