export { type Config, ConfigError, loadConfig } from './config/config.js';
export { createNode, type NodeOptions, type WardenNode } from './main.js';
export { openStorage, type Storage } from './storage/database.js';
export { migrateToLatest } from './storage/migrate.js';
export { WARDEN_VERSION } from './version.js';
