/**
 * Enforces DESIGN.md §2: arrows point inward, no cycles, no package imports an app; bench and
 * faults on top, starting the apps as processes; test-support for tests only.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-depends-on-nothing-of-ours',
      comment: 'domain is the core: it must not import any other workspace package or app',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: { path: '^(packages/(api|config|requirements|notifier-client|db)|apps)/' },
    },
    {
      name: 'adapters-depend-on-domain-only',
      comment: 'api, requirements, notifier-client and db depend on domain only, not on each other',
      severity: 'error',
      from: { path: '^packages/(api|requirements|notifier-client|db)/' },
      to: {
        path: '^packages/(api|requirements|notifier-client|db)/',
        pathNot: ['^packages/$1/'],
      },
    },
    {
      name: 'config-depends-on-nothing-of-ours',
      comment: 'config is shared by the apps only: it must not import any workspace package',
      severity: 'error',
      from: { path: '^packages/config/' },
      to: { path: '^(packages/(?!config/)|apps/)' },
    },
    {
      name: 'no-package-imports-an-app',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'test-support-depends-on-nothing-of-ours',
      comment:
        'test-support starts apps as processes; it must not import a workspace package or app',
      severity: 'error',
      from: { path: '^packages/test-support/' },
      to: { path: '^(packages/(?!test-support/)|apps/|bench/|faults/)' },
    },
    {
      name: 'only-tests-use-test-support',
      comment: 'product code (packages and apps outside their tests) never ships test-support',
      severity: 'error',
      from: {
        path: '^(packages|apps)/[^/]+/',
        pathNot: ['^packages/test-support/', '(^|/)test/', '\\.test\\.tsx?$'],
      },
      to: { path: '^packages/test-support/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-bench-or-faults',
      comment: 'bench and faults sit on top: they use the product, nothing uses them',
      severity: 'error',
      from: { pathNot: '^(bench|faults)/' },
      to: { path: '^(bench|faults)/' },
    },
    {
      name: 'bench-and-faults-start-apps-as-processes',
      comment:
        'bench and faults may import packages and start the apps as child processes, but not import app source at runtime',
      severity: 'error',
      from: { path: '^(bench|faults)/' },
      to: { path: '^apps/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'bench-and-faults-stay-apart',
      severity: 'error',
      from: { path: '^(bench|faults)/' },
      to: { path: '^(bench|faults)/', pathNot: ['^$1/'] },
    },
    {
      name: 'apps-do-not-import-each-other-at-runtime',
      comment: 'the scheduler and admin get AppRouter as a type-only import, nothing else',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: ['^apps/$1/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'notifier-contract-is-schemas-only',
      comment:
        '@ocs/notifier-client/contract is what the notifier app and other services validate with: zod and its own schema modules only, never the client (ky, cockatiel, node:http)',
      severity: 'error',
      from: { path: '^packages/notifier-client/src/(contract|wire|protocols/names)\\.ts$' },
      to: { pathNot: ['^packages/notifier-client/src/(wire|protocols/names)\\.ts$', 'zod'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.turbo)/' },
    tsPreCompilationDeps: true,
    preserveSymlinks: false,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
};
