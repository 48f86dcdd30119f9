// loader.mjs — dt-sql-parser 4.5.1's ES modules import folders and files
// without "/index.js" or ".js", which Node's ES module resolution refuses;
// this resolve hook adds them (registered by register.mjs).
export async function resolve(spec, ctx, next) {
  try {
    return await next(spec, ctx);
  } catch (e) {
    if (e.code === 'ERR_UNSUPPORTED_DIR_IMPORT') return next(spec + '/index.js', ctx);
    if (e.code === 'ERR_MODULE_NOT_FOUND' && (spec.startsWith('.') || spec.startsWith('/')))
      return next(spec + '.js', ctx);
    throw e;
  }
}
