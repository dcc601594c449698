// @ts-check
// Lint rules are part of the architecture: the import boundaries below encode
// DESIGN §2 ("imports flow one way") so a layering mistake fails CI instead of
// surviving review.
import tseslint from 'typescript-eslint';

/**
 * @param {string[]} allowed  folders under src/ this layer may import
 * @param {{ selector: string, message: string }[]} [extraSyntax]  further no-restricted-syntax entries (the pure layers)
 * @returns {Record<string, unknown>}
 */
function layer(allowed, extraSyntax = []) {
  const all = ['api', 'schedule', 'planner', 'milvus', 'kube', 'controller', 'metrics', 'usage', 'log', 'cli', 'main'];
  const forbidden = all.filter((l) => !allowed.includes(l));
  const message = `Layer boundary (DESIGN §2): this folder may only import from src/{${allowed.join(',')}}.`;
  return {
    // `import()` is not an import declaration: no-restricted-imports does not see it, so the same rule is stated for it.
    'no-restricted-syntax': [
      'error',
      { selector: `ImportExpression[source.value=/(^|\\/)(${forbidden.join('|')})(\\/|\\.ts$)/]`, message },
      { selector: 'ImportExpression[source.value=/(^|\\/)test\\//]', message: 'Production code must not import test code.' },
      ...extraSyntax,
    ],
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `(^|/)(${forbidden.join('|')})(/|\\.ts$)`,
            message,
          },
          { regex: '(^|/)test/', message: 'Production code must not import test code.' },
        ],
      },
    ],
  };
}

const pureLayerRules = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Pure layer: take `now` as an argument (STYLE §5).' },
    { object: 'Math', property: 'random', message: 'Pure layer: no randomness (STYLE §1).' },
  ],
};

const pureSyntax = [{ selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pure layer: take `now` as an argument.' }];

export default tseslint.config(
  // scripts/check-node.mjs is plain JavaScript for old Node versions, outside the TypeScript project.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.sandbox/**', 'scripts/check-node.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['it', 'describe', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true, allowTypedFunctionExpressions: true, allowHigherOrderFunctions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Issue #15: small functions a newcomer can read; tests are exempt below.
      complexity: ['error', 12],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-depth': ['error', 4],
      'max-params': ['error', 5],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'src/**/*.test.ts', 'src/**/testkit.ts'],
    rules: {
      '@typescript-eslint/explicit-function-return-type': 'off',
      '@typescript-eslint/require-await': 'off',
      complexity: 'off',
      'max-lines': 'off',
    },
  },
  { files: ['src/api/**'], rules: layer(['api']) },
  { files: ['src/schedule/**'], rules: { ...layer(['api', 'schedule'], pureSyntax), ...pureLayerRules } },
  { files: ['src/planner/**'], rules: { ...layer(['api', 'schedule', 'planner'], pureSyntax), ...pureLayerRules } },
  { files: ['src/log/**'], rules: layer(['log']) },
  { files: ['src/milvus/**'], rules: layer(['api', 'milvus', 'log']) },
  { files: ['src/kube/**'], rules: layer(['api', 'kube', 'log']) },
  { files: ['src/metrics/**'], rules: layer(['api', 'metrics', 'log']) },
  { files: ['src/usage/**'], rules: layer(['api', 'usage', 'log']) },
  { files: ['src/controller/**'], rules: layer(['api', 'schedule', 'planner', 'milvus', 'kube', 'metrics', 'usage', 'log', 'controller']) },
  { files: ['src/cli/**'], rules: layer(['api', 'schedule', 'planner', 'milvus', 'kube', 'metrics', 'usage', 'log', 'controller', 'cli']) },
  // Tests beside the code may use fixtures and harnesses from test/.
  { files: ['src/**/*.test.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['eslint.config.js'], rules: { '@typescript-eslint/explicit-function-return-type': 'off' } },
);
