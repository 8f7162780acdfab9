export { CALENDARS, isAlwaysOpen, isCalendarName, isInSession, sessionCloseOn, sessionOpen } from './session-calendar.ts';
export type { CalendarName, SessionCalendar } from './session-calendar.ts';
export { isValidZone, localParts, zonedToUtc, zoneOffset } from './zoned-time.ts';
export type { LocalParts } from './zoned-time.ts';
export { ZONE_RULES_VERSION } from './zone-rules.ts';
