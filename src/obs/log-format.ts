// `log_format` in the agent's and pathwatch's YAML: how JSON log lines write the time and the level.
// Apart from log.ts so that `--check` validates it without loading pino.
import { Type } from '@sinclair/typebox';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `log_level` in the agent's and pathwatch's YAML; both loaders fall back to `info`. */
export const LogLevelSchema = Type.Union(
  LOG_LEVELS.map((l) => Type.Literal(l)),
  { default: 'info' },
);

export interface LogFormat {
  /** `epoch`: milliseconds since 1970, a number; `iso`: `2026-12-02T00:30:00.000Z`. */
  readonly time: 'epoch' | 'iso';
  /** `number`: pino's 30; `name`: `info`. */
  readonly level: 'number' | 'name';
}

/** pino's own default: existing pipelines keep parsing `time` and `level` as numbers. */
export const DEFAULT_LOG_FORMAT: LogFormat = { time: 'epoch', level: 'number' };

export const LogFormatSchema = Type.Object(
  {
    time: Type.Optional(
      Type.Union([Type.Literal('epoch'), Type.Literal('iso')], {
        description: '`epoch`: milliseconds since 1970 (default); `iso`: 2026-12-02T00:30:00.000Z',
      }),
    ),
    level: Type.Optional(
      Type.Union([Type.Literal('number'), Type.Literal('name')], {
        description: '`number`: 30 (default); `name`: info',
      }),
    ),
  },
  { additionalProperties: false },
);

export function logFormatOf(
  file: { time?: LogFormat['time']; level?: LogFormat['level'] } | undefined,
): LogFormat {
  return { time: file?.time ?? DEFAULT_LOG_FORMAT.time, level: file?.level ?? DEFAULT_LOG_FORMAT.level };
}
