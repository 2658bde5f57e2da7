/** Reported in the API document and /healthz. */
export const WARDEN_VERSION = '0.1.0';
