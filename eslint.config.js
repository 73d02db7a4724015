// ESLint flat config: typescript-eslint's type-checked recommended rules on the TypeScript sources
// (src, test, bench: the files of tsconfig.json), the untyped recommended rules on the JavaScript
// scripts and examples, which no tsconfig covers.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'api-docs/',
      'tmp/',
      '.ect-demo/',
      'test/vectors/**/*.json',
      'docs/conformance.md',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test(), describe() and hooks return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: [
                'test',
                'it',
                'describe',
                'suite',
                'before',
                'after',
                'beforeEach',
                'afterEach',
              ],
            },
          ],
        },
      ],
      // Backends implement async interfaces (ledger, replay cache, key resolvers) with methods that
      // need no await; making them async keeps throws as rejections, which this rule would undo.
      '@typescript-eslint/require-await': 'off',
      // As tsc's noUnusedLocals/Parameters: `_`-prefixed names and rest-sibling omissions are meant.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Rejecting with a caught value passes it on unchanged, as rethrowing it would.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Plain JavaScript (scripts, examples, this file): no type information, so no type-checked rules.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
