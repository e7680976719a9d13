/** The drivers by name (`--driver`). */
import type { Driver, DriverName } from './driver.js';
import { loopchatDriver, naiveWsDriver } from './loopchat.js';
import { socketIoDriver } from './socketio.js';

export const DRIVERS: Readonly<Record<DriverName, Driver>> = {
  loopchat: loopchatDriver,
  'naive-ws': naiveWsDriver,
  socketio: socketIoDriver,
};

export function isDriverName(name: string): name is DriverName {
  return Object.hasOwn(DRIVERS, name);
}
