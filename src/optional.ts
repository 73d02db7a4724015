/**
 * The optional peer packages (better-sqlite3, pg, redis, express, fastify, hono, the MCP and A2A
 * SDKs, the OpenTelemetry API) and the one place that loads them: `loadOptional({ name })` imports a package
 * the first time a feature needs it (`requireOptional` where the caller cannot wait). A
 * plain install carries none of them, so a package that is not installed becomes an
 * `ECTConfigError` naming it, what needs it and the command that installs it, instead of a
 * module-resolution stack trace.
 * @module
 */
import { createRequire } from 'node:module';
import { ECTConfigError } from './errors.js';

/** Each optional package, and what needs it (for the message when it is missing). */
export const OPTIONAL_PACKAGES = {
  'better-sqlite3': 'the SQLite ledger (sqlite: URLs, wimse-ect/sqlite)',
  pg: 'the PostgreSQL ledger (postgres:// URLs, wimse-ect/postgres)',
  redis: 'the Redis replay cache (redis:// URLs, wimse-ect/redis)',
  express: 'the Express adapter (wimse-ect/express)',
  fastify: 'the Fastify adapter (wimse-ect/fastify)',
  hono: 'the Hono middleware (wimse-ect/hono)',
  '@modelcontextprotocol/sdk': 'the MCP integration (wimse-ect/mcp)',
  '@opentelemetry/api': 'the OpenTelemetry instrumentation (wimse-ect/otel)',
  '@a2a-js/sdk': 'the A2A integration (wimse-ect/a2a)',
} as const;

/** The name of an optional peer package. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/**
 * What `import()` of each package resolves to. CommonJS packages arrive as `default`; only the
 * members this library uses need to be right here.
 */
export interface OptionalModules {
  readonly 'better-sqlite3': { readonly default: typeof import('better-sqlite3') };
  readonly pg: { readonly default: typeof import('pg') };
  readonly redis: typeof import('redis');
  readonly express: { readonly default: typeof import('express') };
  readonly fastify: { readonly default: typeof import('fastify') };
  readonly hono: typeof import('hono');
  readonly '@modelcontextprotocol/sdk': typeof import('@modelcontextprotocol/sdk/types.js');
  readonly '@opentelemetry/api': typeof import('@opentelemetry/api');
  readonly '@a2a-js/sdk': typeof import('@a2a-js/sdk');
}

/**
 * The module loaded for a package whose main entry is not the one used (the MCP SDK has no
 * working root entry; its protocol types are a subpath).
 */
const ENTRY_POINTS: Readonly<Partial<Record<OptionalPackage, string>>> = {
  '@modelcontextprotocol/sdk': '@modelcontextprotocol/sdk/types.js',
};

function entryPoint(name: string): string {
  return (ENTRY_POINTS as Readonly<Record<string, string>>)[name] ?? name;
}

/** Options of `loadOptional`. */
export interface LoadOptionalOptions<N extends OptionalPackage> {
  /** The package to load. */
  readonly name: N;
  /** What needs it, for the message (default: the feature listed in `OPTIONAL_PACKAGES`). */
  readonly feature?: string;
}

/** The error for a package that is not installed: one line, with the command that fixes it. */
export function missingPackageError(
  name: string,
  options: { readonly feature?: string | undefined; readonly cause?: unknown } = {},
): ECTConfigError {
  const known = (OPTIONAL_PACKAGES as Readonly<Record<string, string>>)[name];
  const feature = options.feature ?? known ?? 'this feature';
  const message =
    `the optional package ${name} is not installed; ${feature} needs it. ` +
    `Install it with: npm install ${name}`;
  return new ECTConfigError(name, message, { cause: options.cause });
}

function isModuleNotFound(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
}

/** Whether an optional package is installed (resolvable from this library), without loading it. */
export function isInstalled(options: { readonly name: OptionalPackage }): boolean {
  try {
    import.meta.resolve(entryPoint(options.name));
    return true;
  } catch (error) {
    if (isModuleNotFound(error)) return false;
    throw error;
  }
}

/**
 * Loads an optional peer package, or throws `ECTConfigError` (setting: the package's name) when it
 * is not installed. Other failures (a broken installation, a missing native build) are thrown as
 * they are: the package is there, and telling the user to install it would mislead.
 */
export async function loadOptional<N extends OptionalPackage>(
  options: LoadOptionalOptions<N>,
): Promise<OptionalModules[N]> {
  const name: string = options.name;
  // Resolving first tells "not installed" apart from an error raised while the package loads.
  let url: string;
  try {
    url = import.meta.resolve(entryPoint(name));
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw missingPackageError(name, { feature: options.feature, cause: error });
    }
    throw error;
  }
  return (await import(url)) as OptionalModules[N];
}

/**
 * Loads an optional peer package synchronously (`require`, which Node 20.19 also allows for ES
 * modules), for code that cannot wait; the errors are those of `loadOptional`.
 */
export function requireOptional<N extends OptionalPackage>(
  options: LoadOptionalOptions<N>,
): OptionalModules[N] {
  const name: string = options.name;
  let path: string;
  const require = createRequire(import.meta.url);
  try {
    path = require.resolve(entryPoint(name));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw missingPackageError(name, { feature: options.feature, cause: error });
    }
    throw error;
  }
  return require(path) as OptionalModules[N];
}

/**
 * The `ECTConfigError` for an error that says an optional package could not be found (raised by a
 * static `import` of one), or `undefined` for any other error. Lets the command line report a
 * missing driver in one line however it was imported.
 */
export function optionalPackageError(error: unknown): ECTConfigError | undefined {
  if (!isModuleNotFound(error)) return undefined;
  // Node's message: "Cannot find package 'NAME' imported from …".
  const name = /Cannot find package '([^']+)'/.exec((error as Error).message)?.[1];
  if (name === undefined || !Object.hasOwn(OPTIONAL_PACKAGES, name)) return undefined;
  return missingPackageError(name, { cause: error });
}
