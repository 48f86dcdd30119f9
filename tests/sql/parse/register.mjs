// register.mjs — node --import register.mjs: installs loader.mjs.
import { register } from 'node:module';
register('./loader.mjs', import.meta.url);
