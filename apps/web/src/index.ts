// The web app's building blocks. The browser entry is `main.tsx` (loaded by `index.html`);
// this entry names what the app is made of, for its tests and for anyone reusing a piece.
export { App } from './app.tsx'
export { AppContext, useApp } from './app-context.ts'
export type { AppContextValue, Identity } from './app-context.ts'
export { createBrowserWarden } from './browser-warden.ts'
export type { AppClient, BrowserWarden } from './browser-warden.ts'
export { describeError } from './describe-error.ts'
export type { ErrorView } from './describe-error.ts'
export {
  describeUserAgent,
  formatClock,
  formatCountdown,
  formatDateTime,
  formatMoney,
  MAX_AMOUNT_CENTS,
  parseAmount,
} from './format.ts'
export { HOME_PATH, matchRoute, ROUTES, visibleRoutes } from './routes.ts'
export type { Route, RouteId } from './routes.ts'
export { sessionEndedNotice, signedOutNotice } from './session-messages.ts'
export type { SessionNotice } from './session-messages.ts'
export { NO_TOKEN, nextTokenTimes } from './token-times.ts'
export type { TokenTimes } from './token-times.ts'
export { useNow, useQuery } from './use-query.ts'
export type { QueryState } from './use-query.ts'
