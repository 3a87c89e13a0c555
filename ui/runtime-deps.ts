// The packages whose code ships inside the app (docs/supply-chain.md, "The UI's packages").
// npm's audit service is out of reach of these machines, so the shipped set is kept small,
// pinned and checked here instead, by every `vite build` (the test command runs one):
// - the bundle holds code from the packages below only: a new package reaching the app fails
//   the build until it is reviewed and listed here and in the docs;
// - each of them that package.json names is pinned there to one exact version, the one
//   package-lock.json holds (the others are pinned by the lock alone, with its integrity hash).
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

/** Every package allowed to ship, with why. */
const SHIPPED: Record<string, string> = {
  "@tauri-apps/api": "the IPC bridge to the Rust commands (the only `dependencies` entry)",
  svelte: "the compiled components' runtime (in devDependencies: the compiler is a build tool)",
  "esm-env": "Svelte's DEV flag, reduced by the build to `const DEV = false`",
};

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface PackageLock {
  packages: Record<string, { version?: string }>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")) as T;
}

/** Throws unless every runtime dependency and every shipped package named is pinned exactly. */
function checkPins(): void {
  const manifest = readJson<PackageJson>("./package.json");
  const lock = readJson<PackageLock>("./package-lock.json");
  const named = [
    ...Object.entries(manifest.dependencies ?? {}),
    ...Object.entries(manifest.devDependencies ?? {}).filter(([name]) => name in SHIPPED),
  ];
  const problems: string[] = [];
  for (const [name, spec] of named) {
    const locked = lock.packages[`node_modules/${name}`]?.version;
    if (!(name in SHIPPED)) {
      problems.push(`${name}: a runtime dependency not listed as shipped (ui/runtime-deps.ts)`);
    } else if (!EXACT_VERSION.test(spec)) {
      problems.push(`${name}: "${spec}" is not one exact version`);
    } else if (spec !== locked) {
      problems.push(`${name}: package.json pins ${spec}, package-lock.json has ${locked ?? "nothing"}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`runtime packages not pinned:\n  ${problems.join("\n  ")}`);
  }
}

/** `@scope/name` or `name` of the last node_modules folder in a module id, if any. */
function packageOf(moduleId: string): string | undefined {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(moduleId.replaceAll("\\", "/"));
  return match?.[1];
}

export function runtimeDependencies(): Plugin {
  return {
    name: "placeforte-runtime-dependencies",
    apply: "build",
    buildStart() {
      checkPins();
    },
    generateBundle(_options, bundle) {
      const shipped = new Set<string>();
      for (const output of Object.values(bundle)) {
        if (output.type !== "chunk") continue;
        for (const [id, module] of Object.entries(output.modules)) {
          // A module whose code was all shaken out ships nothing.
          if (module.renderedLength === 0) continue;
          const name = packageOf(id);
          if (name !== undefined) shipped.add(name);
        }
      }
      const unlisted = [...shipped].filter((name) => !(name in SHIPPED)).sort();
      if (unlisted.length > 0) {
        this.error(
          `the bundle holds code from packages not listed as shipped: ${unlisted.join(", ")} ` +
            "(review them, then list them in ui/runtime-deps.ts and docs/supply-chain.md)",
        );
      }
    },
  };
}
