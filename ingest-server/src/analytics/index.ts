/** Analytics: the only surface other modules import. */
export { AnalyticsService, type AnalyticsDeps } from './service.js';
export type { AnalyticsMetrics, ApplicationMetrics } from './metrics.js';
export { registerAnalyticsRoutes, registerAnalyticsQueryRoute, ANALYTICS_ACTIONS, QUERY_PATH } from './routes.js';
