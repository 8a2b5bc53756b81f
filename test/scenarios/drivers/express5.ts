import express from 'express'
import { expressDriver } from './express'

/** Express 5 (`express`). */
export const express5 = expressDriver('express5', express)
