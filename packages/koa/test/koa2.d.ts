// `koa2` is the devDependency alias npm:koa@^2 used to test Koa 2; @types/koa describes the surface
// the adapter uses in both majors.
declare module 'koa2' {
  import Koa = require('koa')
  export = Koa
}
