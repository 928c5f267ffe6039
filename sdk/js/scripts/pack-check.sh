#!/usr/bin/env bash
# The package as an app gets it: `npm pack`'s tarball installed by path into a fresh Vite + React
# app outside the repo, the seed's EditProfile (example/src/EditProfile.tsx) compiled against its
# published types (tsc, strict) and bundled (vite build). Usage: scripts/pack-check.sh TARBALL
set -euo pipefail
tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "$0")/.." && pwd)"
app="$(mktemp -d)"
trap 'rm -rf "$app"' EXIT
# the app's tools at the SDK's own pinned versions (its lockfile), so the check needs nothing new
version() { node -p "require('$here/node_modules/$1/package.json').version"; }
cat >"$app/package.json" <<JSON
{
  "name": "pack-check-app",
  "private": true,
  "type": "module",
  "dependencies": {
    "@hellojohn/react": "file:$tarball",
    "react": "$(version react)",
    "react-dom": "$(version react-dom)"
  },
  "devDependencies": {
    "@types/react": "$(version @types/react)",
    "@types/react-dom": "$(version @types/react-dom)",
    "typescript": "$(version typescript)",
    "vite": "$(version vite)"
  }
}
JSON
cat >"$app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2020",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "strict": true,
    "isolatedModules": true,
    "noEmit": true,
    "types": []
  },
  "include": ["src"]
}
JSON
mkdir -p "$app/src"
cp "$here/example/src/EditProfile.tsx" "$app/src/EditProfile.tsx"
cat >"$app/src/main.tsx" <<'TSX'
import { createRoot } from "react-dom/client";
import { HelloJohnProvider, SignedIn } from "@hellojohn/react";
import EditProfile from "./EditProfile";

createRoot(document.getElementById("root")!).render(
  <HelloJohnProvider apiUrl="http://127.0.0.1:3000" tenantId="tnt_x" publishableKey="pk_test_x">
    <SignedIn>
      <EditProfile />
    </SignedIn>
  </HelloJohnProvider>,
);
TSX
printf '<!doctype html><div id="root"></div><script type="module" src="/src/main.tsx"></script>\n' >"$app/index.html"
cd "$app"
npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null
npx --no-install tsc -p tsconfig.json
npx --no-install vite build --logLevel error >/dev/null
test -f node_modules/@hellojohn/react/dist/index.d.ts
echo "pack-check: $(basename "$tarball") installed by path, EditProfile compiled and bundled in a fresh app"
