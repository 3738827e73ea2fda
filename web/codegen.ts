// Operation types for each client, generated from the one schema. Each client gets its own
// output so that its bundle holds only its own documents.
import type { CodegenConfig } from '@graphql-codegen/cli';

const preset = {
  preset: 'client' as const,
  presetConfig: { fragmentMasking: false },
  config: {
    useTypeImports: true,
    enumsAsTypes: true,
    scalars: { ID: 'string', Decimal: 'string', DateTime: 'string' },
    skipTypename: true,
  },
};

const config: CodegenConfig = {
  schema: '../schema.graphqls',
  ignoreNoDocuments: false,
  generates: {
    './storefront/gql/': { ...preset, documents: ['storefront/**/*.tsx', 'storefront/**/*.ts', '!storefront/gql/**'] },
    './admin/gql/': { ...preset, documents: ['admin/**/*.tsx', 'admin/**/*.ts', '!admin/gql/**'] },
  },
};

export default config;
