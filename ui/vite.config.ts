/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { runtimeDependencies } from "./runtime-deps";

// The app is served from the binary (tauri://localhost): no dev server URL, no remote assets.
export default defineConfig({
  plugins: [svelte(), runtimeDependencies()],
  clearScreen: false,
  build: {
    target: "safari15",
    // No inline module-preload polyfill: the content security policy forbids inline scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
