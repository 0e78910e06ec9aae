export { startSandboxPayPal, type SandboxPayPal, type SandboxPayPalOptions } from './server.js';
