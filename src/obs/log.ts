// The pino options that write a LogFormat: ISO or epoch time, level names or numbers.
import { type LoggerOptions, stdTimeFunctions } from 'pino';
import type { LogFormat } from './log-format.js';

export function logOptions(format: LogFormat): Pick<LoggerOptions, 'timestamp' | 'formatters'> {
  return {
    timestamp: format.time === 'iso' ? stdTimeFunctions.isoTime : stdTimeFunctions.epochTime,
    ...(format.level === 'name' ? { formatters: { level: (label: string) => ({ level: label }) } } : {}),
  };
}
