// Salesforce's TypeScript rules and the sf-plugin rules, plus a fence that keeps the core free of
// CLI and presentation code, so any command (and any test) can reuse it.
module.exports = {
  extends: ['eslint-config-salesforce-typescript', 'plugin:sf-plugin/recommended'],
  root: true,
  rules: {
    header: 'off',
    // Salesforce API names (Ext__c, sf__Id) are not camel case and cannot be.
    camelcase: 'off',
    '@typescript-eslint/naming-convention': 'off',
    'class-methods-use-this': 'off',
    '@typescript-eslint/member-ordering': 'off',
    // Streams are consumed one record at a time on purpose: sequential awaits are the design.
    'no-await-in-loop': 'off',
  },
  overrides: [
    {
      files: ['src/core/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              { group: ['@oclif/*'], message: 'src/core must not depend on oclif: pass what it needs in.' },
              { group: ['@salesforce/sf-plugins-core'], message: 'src/core must not depend on sf-plugins-core.' },
              { group: ['chalk'], message: 'Colours belong in src/ux.' },
              { group: ['**/ux/**', '**/commands/**'], message: 'src/core must not import commands or ux.' },
            ],
          },
        ],
      },
    },
    {
      files: ['test/**/*.ts'],
      rules: {
        '@typescript-eslint/no-unused-expressions': 'off',
        'no-unused-expressions': 'off',
        '@typescript-eslint/no-non-null-assertion': 'off',
        'no-await-in-loop': 'off',
        'no-console': 'off',
        // The emulator's parsers and routers branch by nature.
        complexity: 'off',
      },
    },
  ],
};
