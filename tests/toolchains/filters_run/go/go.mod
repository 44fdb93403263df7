module example.com/compatcheck/toolchains/gorun

go 1.24
