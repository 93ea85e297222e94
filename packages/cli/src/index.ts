export { main, COMMANDS } from './main.ts';
