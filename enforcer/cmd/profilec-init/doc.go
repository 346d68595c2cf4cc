// Command profilec-init is profilec exec's init stage as a binary of its own: installed next to profilec, it is started instead of re-executing the whole CLI, which saves the CLI's start-up cost on every launch.
package main
