/** Analytics: the only surface other modules import. */
export { AnalyticsService, type AnalyticsDeps } from './service.js';
export { registerAnalyticsRoutes, ANALYTICS_ACTIONS } from './routes.js';
