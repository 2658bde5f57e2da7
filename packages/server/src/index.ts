export * from './audit/verify/index.js';
export { type Config, ConfigError, isPostgres, loadConfig } from './config/config.js';
export { seedDemo } from './demo/demo.js';
export { createNode, type NodeOptions, type WardenNode } from './main.js';
export { type ServeOptions, serve } from './serve.js';
export { openStorage, type Storage } from './storage/database.js';
export { migrateToLatest } from './storage/migrate.js';
export { WARDEN_VERSION } from './version.js';
