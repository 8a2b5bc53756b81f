// `express4` is the devDependency alias npm:express@^4 used to test Express 4; it has no types of
// its own, and @types/express 5 describes the surface the adapter uses in both majors.
declare module 'express4' {
  import express = require('express')
  export = express
}
