export { dashboardHandler, DEFAULT_LIMIT, DEFAULT_RATE_LIMIT, MAX_FEATURE_LIMIT, MAX_LIMIT, REPORT_PATH, type DashboardApiOptions } from './http-api.ts';
export { readModelCard, summarizeManifest, type GateRow, type ModelCardSummary } from './model-card.ts';
export { findTearSheet, MAX_TEAR_SHEET_BYTES, tearSheetCommand, tearSheetDirs, type TearSheet } from './tear-sheet.ts';
export { loadPageAssets, type PageAssets } from './page-assets.ts';
export { TopicHistory, type RangeQuery, type RangeResult, type SymbolInfo } from './topic-history.ts';
