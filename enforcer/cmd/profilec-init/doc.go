// Command profilec-init is profilec exec's init stage as a small binary of its own, and a lean `profilec-init exec PLAN.json -- CMD` launcher that skips the full CLI's start-up.
package main
