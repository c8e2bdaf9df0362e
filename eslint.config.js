// @ts-check
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.data/**',
      // Test reports, and the reports service's own test reports (its sources are linted).
      '**/reports/**',
      '!apps/reports/',
      '!apps/reports/**',
      'apps/reports/reports/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'max-params': ['error', 3],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@warden/*/src/**'], message: 'Import a package through its entry.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only apps/*/src/config.ts reads the environment; pass configuration in.',
        },
      ],
    },
  },
  {
    // The Bun entry is typed against Bun's globals, in its own tsconfig.
    files: ['apps/*/src/main.bun.ts'],
    languageOptions: {
      parserOptions: { projectService: false, project: './apps/server/tsconfig.bun.json' },
    },
  },
  {
    files: ['packages/**/*.ts'],
    ignores: ['**/*.test.ts', '**/tests/**', '**/bench/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.test.ts', '**/tests/**/*.ts', '**/bench/**/*.ts', '**/scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      'max-params': 'off',
    },
  },
  {
    files: [
      '**/config.ts',
      '**/tests/**/*.ts',
      '**/*.test.ts',
      '**/bench/**/*.ts',
      '**/scripts/**/*.ts',
      '**/vitest.config.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  prettier,
)
