/**
 * A request's logger, made only when the request logs something. Fastify gives every request a child
 * logger bound to its id; most requests never log (the access line goes through the root logger), and
 * building a pino child for each of them was a measurable part of a request's cost. A class, so that
 * a request allocates one small object and no closures.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Log = (...args: unknown[]) => void;

class LazyLogger {
  private made: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}
  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }
  fatal(...args: unknown[]) {
    (this.real.fatal as Log)(...args);
  }
  error(...args: unknown[]) {
    (this.real.error as Log)(...args);
  }
  warn(...args: unknown[]) {
    (this.real.warn as Log)(...args);
  }
  info(...args: unknown[]) {
    (this.real.info as Log)(...args);
  }
  debug(...args: unknown[]) {
    (this.real.debug as Log)(...args);
  }
  trace(...args: unknown[]) {
    (this.real.trace as Log)(...args);
  }
  silent() {}
  child(bindings: Bindings, options?: ChildLoggerOptions) {
    return this.real.child(bindings, options);
  }
  get level() {
    return this.made?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.real.level = value;
  }
}

export function lazyChild(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}
