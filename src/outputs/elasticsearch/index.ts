// Elasticsearch / OpenSearch output (`_bulk` create into a data stream or index).
import type { ComponentDef, Output } from '../../pipeline/types.js';
import { elasticsearchSchema, type ElasticsearchConfig } from './config.js';
import { ElasticsearchOutput } from './sink.js';
import { checkTlsMaterial, checkUrl, checkWritablePath } from '../../config/preflight.js';

export { ElasticsearchOutput } from './sink.js';
export { elasticsearchSchema, resolveElasticsearchConfig, type ElasticsearchConfig } from './config.js';
export { documentId, bulkItem, parseBulkResponse, indexTemplate, classify } from './request.js';

export const elasticsearchOutput: ComponentDef<Output> = {
  type: 'elasticsearch',
  schema: elasticsearchSchema as unknown as Record<string, unknown>,
  build: (config: ElasticsearchConfig, ctx) => new ElasticsearchOutput(config, ctx),
  preflight(config: ElasticsearchConfig, where) {
    checkUrl(`${where}.url`, config.url, ['http:', 'https:']);
    if (config.tls?.ca_file) checkTlsMaterial(`${where}.tls`, { ca_file: config.tls.ca_file });
    if (config.dead_letter_path) checkWritablePath(`${where}.dead_letter_path`, config.dead_letter_path, 'file');
  },
};
