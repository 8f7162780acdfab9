export { dashboardHandler, DEFAULT_LIMIT, MAX_FEATURE_LIMIT, MAX_LIMIT, type DashboardApiOptions } from './http-api.ts';
export { readModelCard } from './model-card.ts';
export { loadPageAssets, type PageAssets } from './page-assets.ts';
export { TopicHistory, type RangeQuery, type RangeResult, type SymbolInfo } from './topic-history.ts';
