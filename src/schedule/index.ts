// The schedule module's public surface: pure functions of (spec.schedule, now).
export { describeSchedule } from './describe.ts';
export { evaluateSchedule, type ScheduleEvaluation, type ScheduleResult } from './evaluate.ts';
export { zonedWallTimeToInstant, type WallClock } from './zone.ts';
