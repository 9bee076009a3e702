// Builds the browser bundle from npm packages into static/dist (not committed).
// Usage: node frontend/build.mjs [--watch]
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const options = {
  entryPoints: {
    editor: path.join(root, "frontend/editor/main.js"),
    metrics: path.join(root, "frontend/explorer/metrics.js"),
    logs: path.join(root, "frontend/explorer/logs.js"),
    system: path.join(root, "frontend/explorer/system.js"),
  },
  outdir: path.join(root, "static/dist"),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: ["es2022"],
  legalComments: "linked",
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
