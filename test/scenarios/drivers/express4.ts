import express4 from 'express4'
import { expressDriver } from './express'

/** Express 4 (`express4`, the alias npm:express@^4). */
export const express4Driver = expressDriver('express4', express4)
