// Imports point down (`npm run lint:layers`, part of `npm test`). Layers from the top; a module may
// import its own group and any layer below its own, never one above, never a sibling group of its
// layer, and never in a circle.
//   ui sits under commands (they render through it) and above phases (which report events, never print).
//   checks sits above remote: the test phase's container checks read the host through it.
//   ground: src/*.ts beside cli.ts and runner.ts (errors, files, defaults, table, report, phase-names).
const LAYERS = [
  { cli: '^src/cli\\.ts$' },
  { commands: '^src/commands/' },
  { ui: '^src/ui/' },
  { phases: '^src/phases/' },
  { checks: '^src/checks/' },
  { remote: '^src/remote/' },
  { aws: '^src/aws/' },
  { blueprint: '^src/blueprint/', secrets: '^src/secrets/', ssh: '^src/ssh/' },
  { config: '^src/config/', state: '^src/state/', runner: '^src/runner\\.ts$' },
  { ground: '^src/(?!cli\\.ts$|runner\\.ts$)[^/]+\\.ts$' },
];

const layerRules = LAYERS.flatMap((layer, i) =>
  Object.entries(layer)
    .map(([name, path]) => {
      const above = LAYERS.slice(0, i).flatMap((l) => Object.values(l));
      const siblings = Object.entries(layer)
        .filter(([other]) => other !== name)
        .map(([, p]) => p);
      return {
        name: `${name}-points-down`,
        comment: `${name} imports only its own group and the layers below it (.dependency-cruiser.cjs)`,
        severity: 'error',
        from: { path },
        to: { path: [...above, ...siblings] },
      };
    })
    .filter((rule) => rule.to.path.length > 0),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'modules that import each other, directly or through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    // `import type` counts: a type taken from a higher layer ties the layers as much as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
