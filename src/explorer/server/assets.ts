/**
 * The page's static files (app.js, app.css). An installed package serves the files the build
 * wrote to dist/explorer/assets (scripts/build-explorer.mjs); run from source (tests, tsx), the
 * server bundles src/explorer/web with esbuild, a development dependency, once per process.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ECTConfigError } from '../../errors.js';

/** One served file. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The asset files by name. */
export type Assets = ReadonlyMap<string, Asset>;

const TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The bundler of scripts/build-explorer.mjs, as the source tree has it. */
interface Bundler {
  buildExplorerAssets(options: { minify: boolean }): Promise<Map<string, Uint8Array>>;
}

let built: Promise<Assets> | undefined;

function fromFiles(files: ReadonlyMap<string, Uint8Array>): Assets {
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) {
    const body = files.get(name);
    if (body !== undefined) assets.set(name, { body: Buffer.from(body), type });
  }
  return assets;
}

async function load(): Promise<Assets> {
  const prebuilt = fileURLToPath(new URL('../assets/', import.meta.url));
  if (Object.keys(TYPES).every((name) => existsSync(`${prebuilt}${name}`))) {
    return fromFiles(
      new Map(Object.keys(TYPES).map((name) => [name, readFileSync(`${prebuilt}${name}`)])),
    );
  }
  const script = new URL('../../../scripts/build-explorer.mjs', import.meta.url);
  if (!import.meta.url.endsWith('.ts') || !existsSync(fileURLToPath(script))) {
    throw new ECTConfigError(
      'explorer',
      `the explorer's page files are missing (${prebuilt}): reinstall the package or run ` +
        'node scripts/build-explorer.mjs',
    );
  }
  const bundler = (await import(script.href)) as Bundler;
  return fromFiles(await bundler.buildExplorerAssets({ minify: false }));
}

/** The asset files, loaded (or bundled) once. */
export function explorerAssets(): Promise<Assets> {
  built ??= load().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
