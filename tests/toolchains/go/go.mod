module example.com/compatcheck/toolchains/gofilter

go 1.24
