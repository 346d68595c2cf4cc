// Command profilec-init is `profilec exec PLAN.json -- CMD` as a small binary of its own: compiled plans only, no profile loading or policies, so none of the full CLI's start-up.
package main
